import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '@reprise/jobs';
import { NotificationsModule } from '../notifications/notifications.module';
import { ScheduleTicker, ScheduleTickProcessor } from './schedule-tick.processor';
import { TestScheduler } from './test-scheduler.service';

/** Test scheduling: the `schedule.tick` job scheduler and what each tick does. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.Scheduler }), NotificationsModule],
  providers: [TestScheduler, ScheduleTicker, ScheduleTickProcessor],
})
export class SchedulingModule {}
